// Process lifecycle: shutdown steps and lease-holder ids.
export { holderId } from "./holder-id.js";
export { createShutdown } from "./shutdown.js";
