export { aiGateway } from "./capability";
