import { Log, PeprModule } from "pepr";
import cfg from "./package.json";
import { aiGateway } from "./capabilities/ai-gateway";
import { bridgeLogsTo } from "./lib/logger";

// One log format per pod: the project's winston loggers write through Pepr's pino logger.
bridgeLogsTo(Log);

new PeprModule(cfg, [aiGateway]);
