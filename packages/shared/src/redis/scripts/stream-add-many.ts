// Many entries added to one stream by ONE command: XADD <stream> * <fields> for each entry, in order.
// Ingest enqueues a whole batch (up to 500 candidates) or a round of concurrent single requests at
// once; as a pipeline of XADDs that was one ioredis command (with its own timeout timer and reply)
// per entry, a measurable share of ingest's CPU per item. No MAXLEN, as in enqueueEvaluations.
//
// KEYS[1]  the stream
// ARGV[1]  fields per entry (name and value each count: 10 for the five fields of §4.5)
// ARGV[2…] the entries' fields, one entry after the other
// Returns the new entries' ids in order. An error stops the script; the entries added before it
// stay, as the successful XADDs of a failed pipeline did (the caller falls back to the DB queue
// for the whole batch; evaluating a candidate twice is prevented by its evaluation state).
export const STREAM_ADD_MANY_LUA = `
local stream = KEYS[1]
local width = tonumber(ARGV[1])
local ids = {}
for i = 2, #ARGV, width do
  ids[#ids + 1] = redis.call('XADD', stream, '*', unpack(ARGV, i, i + width - 1))
end
return ids
`;
