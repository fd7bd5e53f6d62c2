import { down } from "../harness/cluster";

export default async function globalTeardown(): Promise<void> {
  if (process.env.AIGW_STOP_CLUSTER_AFTER === "1") await down();
  const startedAt = Number(process.env.AIGW_CLUSTER_SUITE_STARTED_AT ?? Date.now());
  process.stderr.write(
    `\ncluster suite finished in ${Math.round((Date.now() - startedAt) / 1000)}s\n`,
  );
}
