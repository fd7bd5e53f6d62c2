import { Log, PeprModule } from "pepr";
import cfg from "./package.json";
import { aiGateway } from "./capabilities/ai-gateway";
import { reconcilesHere, startController } from "./capabilities/ai-gateway/startup";
import { outlastApiServerIdleConnections } from "./lib/keep-alive";
import { bridgeLogsTo, componentLogger } from "./lib/logger";
import { errorMessage } from "./lib/error-message";

// One log format per pod: the project's winston loggers write through Pepr's pino logger.
bridgeLogsTo(Log);

// The webhook server must not close connections the API server is about to reuse.
outlastApiServerIdleConnections();

new PeprModule(cfg, [aiGateway]);

// The watcher pod and `pepr dev` reconcile; admission pods and `pepr build` only load the bindings.
if (reconcilesHere()) {
  startController().catch(error => {
    componentLogger("controller").error("controller failed to start", {
      error: errorMessage(error),
    });
    process.exit(1);
  });
}
