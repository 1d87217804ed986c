// The dead-letter move of an evaluation stream entry as ONE atomic Lua script (docs/architecture.md
// §2 promise 5; entry fields in §4.5): XADD to the dead-letter stream + XACK + XDEL of the
// original. Nothing can run between the three commands, so an entry is never both pending and
// dead-lettered, and two workers racing to move the same entry move it once.
//
// KEYS[1]  evaluation stream          KEYS[2]  dead-letter stream
// ARGV[1]  consumer group             ARGV[2]  message id
// ARGV[3]  reason                     ARGV[4]  dead_lettered_at (ISO-8601)
// ARGV[5]  consumer (who moves it)
// ARGV[6]  minimum idle ms: the entry must still be pending and idle at least this long (0 = only pending)
// The dead-letter XADD has no MAXLEN: trimming here could drop dead letters not archived yet
// (dl_reconcile trims, archive first).
//
// Returns {0, "not_pending"} when the entry is not (or no longer, or not idle enough) pending,
// else {1, dead_letter_id, delivery_count, field1, value1, ...} with the original fields.
// A pending entry whose stream entry was already trimmed is still moved (with no orig_* fields),
// so it stops being redelivered.
export const DEAD_LETTER_MOVE_LUA = `
local stream, dl = KEYS[1], KEYS[2]
local group, id, reason, at, consumer = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local min_idle = tonumber(ARGV[6])

local pending
if min_idle > 0 then
  pending = redis.call('XPENDING', stream, group, 'IDLE', min_idle, id, id, 1)
else
  pending = redis.call('XPENDING', stream, group, id, id, 1)
end
if #pending == 0 then
  return {0, 'not_pending'}
end
local deliveries = pending[1][4]

local original = {}
local entry = redis.call('XRANGE', stream, id, id)
if #entry > 0 then
  original = entry[1][2]
end

local args = {dl, '*'}
for _, v in ipairs({'original_msg_id', id, 'original_stream', stream, 'reason', reason,
                    'dead_lettered_at', at, 'consumer', consumer}) do
  table.insert(args, v)
end
for i = 1, #original, 2 do
  table.insert(args, 'orig_' .. original[i])
  table.insert(args, original[i + 1])
end
local dl_id = redis.call('XADD', unpack(args))

redis.call('XACK', stream, group, id)
redis.call('XDEL', stream, id)

local reply = {1, dl_id, deliveries}
for i = 1, #original do
  table.insert(reply, original[i])
end
return reply
`;
