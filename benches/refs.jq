# The connection references of a blueprint, as workload (b) of benches/throughput.rs finds them:
# the `__IMTCONN__`, `account`, `makeConnectionId` and `connection` parameters of every module
# in `flow`, `onerror`, `routes[].flow`, `branches[].flow`, `tools[].flow` and the designer's
# orphans. One line per reference: file, key, value.
def modules:
  (if type == "array" then .[] elif type == "object" then . else empty end)
  | objects
  | ., ((.onerror // empty) | modules),
    ((.routes, .branches, .tools) | arrays | .[] | objects | (.flow // empty) | modules);

((.flow // empty) | modules),
((.metadata.designer.orphans? // empty) | arrays | .[] | modules)
| .parameters | objects
| to_entries[]
| select(.key == "__IMTCONN__" or .key == "account" or .key == "makeConnectionId" or .key == "connection")
| [input_filename, .key, (.value | tostring)] | @tsv
