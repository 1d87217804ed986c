export { holderId } from "./holder-id.js";
export { createShutdown, type Shutdown, type ShutdownStep } from "./shutdown.js";
