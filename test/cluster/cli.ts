/** `npm run cluster:up` / `npm run cluster:down`. */
import { down, up } from "./harness/cluster";
import { KUBECONFIG } from "./harness/paths";

const command = process.argv[2];
(async () => {
  if (command === "up") {
    await up();
    process.stdout.write(`export KUBECONFIG=${KUBECONFIG}\n`);
  } else if (command === "down") {
    await down();
  } else {
    process.stderr.write("usage: tsx test/cluster/cli.ts up|down\n");
    process.exitCode = 2;
  }
})().catch(error => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
});
