//! Many files in parallel, handed on in input order through a bounded reorder window.

use std::collections::BTreeMap;

use super::{FileResult, Options, check_input};
use crate::discover::Input;

/// How far ahead of the next file to hand out the workers may run: a long file holds back the
/// output, and at most this many later results wait for it in memory.
const ORDER_WINDOW: usize = 256;

/// Checks every input in parallel and hands each result to `each` in input order, as soon as
/// the files before it are done: memory holds only the results that finished out of order,
/// never the whole run. Workers take the next file from a shared counter (not rayon's halves
/// of the list, which would make the second worker's results wait for the first's), on
/// `rayon::current_num_threads()` threads, so `RAYON_NUM_THREADS` still applies; `each` runs
/// on the calling thread.
pub fn check_in_order(
    inputs: &[Input],
    opts: &Options,
    tick: &(dyn Fn() + Sync),
    each: &mut dyn FnMut(FileResult),
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    let next = AtomicUsize::new(0);
    let progress = Progress::default();
    let workers = rayon::current_num_threads().clamp(1, inputs.len().max(1));
    let (send, receive) = mpsc::channel::<(usize, FileResult)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let send = send.clone();
            let (next, progress) = (&next, &progress);
            scope.spawn(move || {
                let _abort = progress.abort_on_panic();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { break };
                    if !progress.wait_for_room(i) {
                        break;
                    }
                    let result = check_input(input, opts);
                    tick();
                    if send.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        let _abort = progress.abort_on_panic();
        let mut waiting: BTreeMap<usize, FileResult> = BTreeMap::new();
        let mut due = 0;
        for (i, result) in receive {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&due) {
                each(result);
                due += 1;
                progress.emitted(due);
            }
        }
    });
}

/// What [`check_in_order`]'s workers wait on: how many results were handed on, and whether a
/// thread panicked. A panic must end the run, not leave the others waiting for a result that
/// will never come (the scope then re-raises it).
#[derive(Default)]
struct Progress {
    state: std::sync::Mutex<(usize, bool)>,
    moved: std::sync::Condvar,
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, bool)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until file `i` is within ORDER_WINDOW of the output; false once a thread panicked.
    fn wait_for_room(&self, i: usize) -> bool {
        let mut state = self.lock();
        while i >= state.0 + ORDER_WINDOW && !state.1 {
            state = self.moved.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        !state.1
    }

    fn emitted(&self, due: usize) {
        self.lock().0 = due;
        self.moved.notify_all();
    }

    /// Wakes every waiting worker for good if the current thread unwinds.
    fn abort_on_panic(&self) -> impl Drop + '_ {
        struct Guard<'a>(&'a Progress);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.lock().1 = true;
                    self.0.moved.notify_all();
                }
            }
        }
        Guard(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRUCTURE: &str = include_str!("../../fixtures/cases/structure.json");

    /// `n` files named `0000.json`, `0001.json`, ... in `dir`, file `i` holding `text(i)`.
    fn files<'t>(dir: &std::path::Path, n: usize, text: impl Fn(usize) -> &'t str) -> Vec<Input> {
        (0..n)
            .map(|i| {
                let path = dir.join(format!("{i:04}.json"));
                std::fs::write(&path, text(i)).unwrap();
                Input::File {
                    display: format!("{i:04}.json"),
                    path,
                    explicit: true,
                }
            })
            .collect()
    }

    /// What a streaming format checks with: no model kept, no excerpts.
    fn streaming() -> Options {
        Options {
            keep_model: false,
            excerpts: false,
            ..Options::default()
        }
    }

    #[test]
    fn files_come_back_in_input_order_whatever_order_they_finish_in() {
        let dir = tempfile::tempdir().unwrap();
        // More files than the window, with a large file now and then that finishes late.
        let big = format!(
            "{{\"name\":\"big\",\"flow\":[{}]}}",
            vec![r#"{"id":1,"module":"json:ParseJSON","mapper":{"x":"y"}}"#; 4000].join(",")
        );
        let inputs = files(dir.path(), 3 * ORDER_WINDOW, |i| {
            if i % 97 == 0 { big.as_str() } else { STRUCTURE }
        });
        let opts = streaming();
        let ticks = std::sync::atomic::AtomicUsize::new(0);
        let mut seen = Vec::new();
        check_in_order(
            &inputs,
            &opts,
            &|| {
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            },
            &mut |r| seen.push(r.display),
        );
        let expected: Vec<String> = inputs.iter().map(|i| i.display().to_string()).collect();
        assert_eq!(seen, expected);
        assert_eq!(ticks.into_inner(), inputs.len());
        let mut none = Vec::new();
        check_in_order(&[], &opts, &|| {}, &mut |r| none.push(r.display));
        assert!(none.is_empty());
    }

    #[test]
    fn a_panic_while_reporting_ends_the_run_instead_of_leaving_workers_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = files(dir.path(), 2 * ORDER_WINDOW + 8, |_| STRUCTURE);
        let opts = streaming();
        // The renderer fails once the workers have run a whole window ahead and wait for room:
        // without the abort they would wait for ever, and the run would hang.
        let ticks = std::sync::atomic::AtomicUsize::new(0);
        let tick = || {
            ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_in_order(&inputs, &opts, &tick, &mut |_| {
                let start = std::time::Instant::now();
                while ticks.load(std::sync::atomic::Ordering::SeqCst) < ORDER_WINDOW
                    && start.elapsed() < std::time::Duration::from_secs(20)
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                panic!("the renderer failed")
            });
        }));
        assert!(outcome.is_err(), "the panic reaches the caller");
    }
}
