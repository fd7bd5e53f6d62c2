/**
 * A list-then-watch of one resource type's metadata only (names, labels, resourceVersions; never
 * the data): `ListWatch` in its metadata mode, for the callers that hold no object contents.
 */
import { ListWatch, type ListWatchOptions, type ObjectMetadata } from "./list-watch";
import type { KubeApi, ResourcePath } from "./kube-api";

export type { ObjectMetadata, WatchPhase as MetadataPhase } from "./list-watch";

export type MetadataWatchOptions = Omit<ListWatchOptions<ObjectMetadata>, "mode">;

export class MetadataWatch extends ListWatch<ObjectMetadata> {
  constructor(api: () => Promise<KubeApi>, path: ResourcePath, options: MetadataWatchOptions) {
    super(api, path, { ...options, mode: "metadata" });
  }
}
