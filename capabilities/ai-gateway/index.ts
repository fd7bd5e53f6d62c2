import { ResourceValidator } from "../../api/validate";
import { AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy } from "../kinds";
import { admissionValidator } from "./admission";
import { aiGateway, When } from "./capability";
import { ClusterLookup } from "./cluster-lookup";

export { aiGateway };

const validator = new ResourceValidator();
const lookup = new ClusterLookup();

// Deny invalid routes; warn about backends and Gateways that do not exist yet.
When(AIGatewayRoute)
  .IsCreatedOrUpdated()
  .Validate(admissionValidator("AIGatewayRoute", validator, lookup));

// Deny invalid backends; warn when the Envoy Gateway Backend does not exist yet.
When(AIServiceBackend)
  .IsCreatedOrUpdated()
  .Validate(admissionValidator("AIServiceBackend", validator, lookup));

// Deny invalid policies and a second policy for one backend; warn about missing Secrets.
When(BackendSecurityPolicy)
  .IsCreatedOrUpdated()
  .Validate(admissionValidator("BackendSecurityPolicy", validator, lookup));
