-- Replays pre-signed raw HTTP requests (made by bench/sign.py) round-robin.
-- Usage: wrk -tN ... -s bench/replay.lua URL -- POOL_FILE N
-- Each wrk thread keeps only its own share of the pool (request i goes to
-- thread i mod n), so requests that must be unique are sent once each until
-- the pool runs out; after that a thread starts over (and the server will
-- count the repeats as errors, which the report shows).

local threads = {}

function setup(thread)
	thread:set("thread_id", #threads)
	table.insert(threads, thread)
end

function init(args)
	local path = args[1]
	local n_threads = tonumber(args[2] or "1")
	local f = assert(io.open(path, "rb"))
	local i = 0
	reqs = {}
	wrapped = 0
	while true do
		local len = f:read("*l")
		if len == nil then break end
		local req = f:read(tonumber(len))
		if i % n_threads == (thread_id or 0) then
			reqs[#reqs + 1] = req
		end
		i = i + 1
	end
	f:close()
	assert(#reqs > 0, "empty request pool " .. path)
	idx = 0
end

function request()
	idx = idx + 1
	if idx > #reqs then
		idx = 1
		wrapped = wrapped + 1
	end
	return reqs[idx]
end

function done(summary, latency, requests)
	local e = summary.errors
	local wraps = 0
	for _, t in ipairs(threads) do
		wraps = wraps + (t:get("wrapped") or 0)
	end
	io.write(string.format(
	    "BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d " ..
	    "write=%d timeout=%d p50_us=%d p99_us=%d max_us=%d wraps=%d\n",
	    summary.requests, summary.duration, e.status, e.connect, e.read,
	    e.write, e.timeout, latency:percentile(50), latency:percentile(99),
	    latency.max, wraps))
end
