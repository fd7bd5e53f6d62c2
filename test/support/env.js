// Read by pepr when it is first imported: keep its logs quiet and register Reconcile bindings too.
process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? "silent";
process.env.PEPR_MODE = process.env.PEPR_MODE ?? "dev";
