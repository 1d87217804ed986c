// The evaluation queue (enqueue with DB fallback, consume, autoclaim, dead-letter, replay).
export {};
