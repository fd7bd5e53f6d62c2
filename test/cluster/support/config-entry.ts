/** What the ext_proc server would see, for the cluster tests: the configuration documents. */
import { DEFAULT_SETTINGS } from "../../../controller/settings";
import { CONFIG_DATA_KEY, configSecretName } from "../../../contract/route-config";
import { kubectl } from "./kubectl";

/** A route's configuration document, as the ext_proc server would read it, if it has one. */
export function configEntry(
  namespace: string,
  route: string,
): { rules: Array<{ backends: Array<{ id: string; auth?: { type: string } }> }> } | undefined {
  const name = configSecretName(DEFAULT_SETTINGS.configSecretPrefix, namespace, route);
  const result = kubectl([
    "get",
    "secret",
    name,
    "-n",
    DEFAULT_SETTINGS.extProcNamespace,
    "-o",
    "json",
  ]);
  if (result.code !== 0) return undefined;
  const value = JSON.parse(result.stdout).data?.[CONFIG_DATA_KEY];
  return value && JSON.parse(Buffer.from(value, "base64").toString("utf8"));
}
