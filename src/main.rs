fn main() -> std::process::ExitCode {
    bplint::cli::main()
}
