-- Replays pre-signed raw HTTP requests (made by bench/sign.py) round-robin.
-- Usage: wrk -tN ... -s bench/replay.lua URL -- POOL_FILE N
-- Each wrk thread keeps only its own share of the pool (request i goes to
-- thread i mod n), so requests that must be unique are sent once each until
-- the pool runs out; after that a thread starts over (and the server will
-- count the repeats as errors, which the report shows).
--
-- "once" mode (filling a repository), when BENCH_ONCE_DIR is set in the
-- environment: each request is sent exactly once. A connection whose thread
-- has sent its whole share then sends nothing more (an empty request), so
-- every answer counted is a pool answer; when a thread has had all of its
-- answers it writes $BENCH_ONCE_DIR/done.<thread> and stops, and
-- bench/run.sh interrupts wrk (SIGINT) once every thread is done.

local once_dir = os.getenv("BENCH_ONCE_DIR")
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
	share = #reqs
	-- wrk 4.1 calls request() once in thread 0's state to check what it
	-- returns, before any connection: that call must not use up a request.
	if (thread_id or 0) == 0 then
		table.insert(reqs, 1, reqs[1])
	end
	idx = 0
	answered = 0
	bad = 0
	first_bad = ""
end

function request()
	idx = idx + 1
	if idx > #reqs then
		if once_dir then
			return ""
		end
		idx = 1
		wrapped = wrapped + 1
	end
	return reqs[idx]
end

if once_dir then
	function response(status, headers, body)
		answered = answered + 1
		if status < 200 or status > 299 then
			bad = bad + 1
			if first_bad == "" then
				first_bad = status .. " " ..
				    string.sub(body or "", 1, 200)
			end
		end
		if answered == share then
			local f = io.open(once_dir .. "/done." .. thread_id, "w")
			if f then f:close() end
			wrk.thread:stop()
		end
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	local wraps, n, non2xx = 0, summary.requests, e.status
	local first = ""
	if once_dir then
		n, non2xx = 0, 0
	end
	for _, t in ipairs(threads) do
		wraps = wraps + (t:get("wrapped") or 0)
		if once_dir then
			n = n + (t:get("answered") or 0)
			non2xx = non2xx + (t:get("bad") or 0)
			if first == "" then first = t:get("first_bad") or "" end
		end
	end
	io.write(string.format(
	    "BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d " ..
	    "write=%d timeout=%d p50_us=%d p99_us=%d max_us=%d wraps=%d\n",
	    n, summary.duration, non2xx, e.connect, e.read,
	    e.write, e.timeout, latency:percentile(50), latency:percentile(99),
	    latency.max, wraps))
	if first ~= "" then
		io.write("FIRST_BAD " .. string.gsub(first, "\n", " ") .. "\n")
	end
end
