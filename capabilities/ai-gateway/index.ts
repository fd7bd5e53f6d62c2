import { ResourceValidator } from "../../api/validate";
import { AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy } from "../kinds";
import { admissionValidator } from "./admission";
import { aiGateway, OnSchedule, When } from "./capability";
import { kubeApi } from "./api-connection";
import { ClusterLookup } from "./cluster-lookup";
import { controller, settings } from "./startup";

export { aiGateway };

const validator = new ResourceValidator();
const lookup = new ClusterLookup(kubeApi);

// Routes: deny invalid ones (warn about missing backends and Gateways); reconcile the rest.
When(AIGatewayRoute)
  .IsCreatedOrUpdated()
  .Validate(admissionValidator("AIGatewayRoute", validator, lookup))
  .Reconcile((route, phase) => controller.events.onRoute(route, phase as "ADDED" | "MODIFIED"));
When(AIGatewayRoute)
  .IsDeleted()
  .Reconcile(route => controller.events.onRoute(route, "DELETED"));

// Backends: deny invalid ones (warn when the Envoy Gateway Backend is missing); reconcile the rest.
When(AIServiceBackend)
  .IsCreatedOrUpdated()
  .Validate(admissionValidator("AIServiceBackend", validator, lookup))
  .Reconcile((backend, phase) =>
    controller.events.onBackend(backend, phase as "ADDED" | "MODIFIED"),
  );
When(AIServiceBackend)
  .IsDeleted()
  .Reconcile(backend => controller.events.onBackend(backend, "DELETED"));

// Policies: deny invalid ones and a second policy for one backend; reconcile the rest.
When(BackendSecurityPolicy)
  .IsCreatedOrUpdated()
  .Validate(admissionValidator("BackendSecurityPolicy", validator, lookup))
  .Reconcile((policy, phase) => controller.events.onPolicy(policy, phase as "ADDED" | "MODIFIED"));
When(BackendSecurityPolicy)
  .IsDeleted()
  .Reconcile(policy => controller.events.onPolicy(policy, "DELETED"));

// Reconcile everything again now and then, in case a watch event was lost.
OnSchedule({
  name: "resync",
  every: settings.resyncSeconds,
  unit: "seconds",
  run: () => controller.resync(),
});
