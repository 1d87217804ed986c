// The evaluation queue: enqueue with DB fallback; consuming, reclaiming and dead-lettering live beside it.
export { enqueueEvaluations, enqueueWork, streamFields, type EnqueueDeps, type EnqueueResult, type EvaluationRequest } from "./enqueue.js";
