/** The cluster harness's progress lines, on stderr beside jest's output. */
export const log = (message: string) => process.stderr.write(`[testcluster] ${message}\n`);
