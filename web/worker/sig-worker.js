// The portal's Web Worker: the operations in ops.js, nothing else. (Benchmarks start their own
// worker, bench/bench-worker.js, with their extra operations: none of them ship here.)
import { ops, serve } from "./ops.js";

serve(ops);
