namespace Gateway.Beam;

/// <summary>
/// Fair admission of UDP datagrams per device: each device (an IMSI; an anonymous device by its source address) has
/// an in-flight bound and a token bucket, so that a device flooding the unified port is refused its own excess while
/// its neighbours are served. One flooding device sent ~85k datagrams/s and left a device sending one a second with 9
/// answers out of 15 when admission was a single global bound: the flood took every slot.
/// </summary>
/// <remarks>
/// The table is bounded (<c>maxDevices</c>). Only devices the registry knows get an entry (the caller refuses unknown
/// addresses first), but a group's address range makes every address in it an anonymous device, so spoofed sources in
/// a range could otherwise grow it. When it is full, entries that carry nothing (no datagram in flight, bucket full
/// again) are dropped, at most once a second; if none can be, new devices are refused until some can.
/// Time comes from <see cref="TimeProvider.GetUtcNow"/>, so tests drive the buckets.
/// </remarks>
internal sealed class UdpDeviceLimiter
{
    /// <summary>A refused device hears about it at most this often; the rest of its refusals are silent.</summary>
    public static readonly TimeSpan RefusalReplyInterval = TimeSpan.FromSeconds(1);

    private readonly int _maxInFlight;
    private readonly double _tokensPerTick;
    private readonly double _burst;
    private readonly int _maxDevices;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<object, Device> _devices = [];
    private long _lastSweep = long.MinValue;

    /// <param name="maxInFlight">Datagrams of one device being handled at once.</param>
    /// <param name="ratePerSecond">Datagrams one device may send per second, sustained; 0 turns the rate limit off.</param>
    /// <param name="burst">Datagrams one device may send at once above its rate (the bucket's size).</param>
    /// <param name="maxDevices">Devices the table holds at most.</param>
    public UdpDeviceLimiter(int maxInFlight, double ratePerSecond, int burst, int maxDevices, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDevices, 1);
        _maxInFlight = maxInFlight;
        _tokensPerTick = ratePerSecond / TimeSpan.TicksPerSecond;
        _burst = burst;
        _maxDevices = maxDevices;
        _time = time;
    }

    /// <summary>The outcome of <see cref="TryAdmit"/>.</summary>
    public enum Verdict
    {
        Admitted,

        /// <summary>The device already has its in-flight bound of datagrams being handled.</summary>
        Busy,

        /// <summary>The device sent faster than its rate and burst allow.</summary>
        RateLimited,

        /// <summary>The table is full of devices that are active; a new device cannot be tracked now.</summary>
        TableFull,
    }

    /// <summary>The devices the table holds now.</summary>
    public int TrackedDevices
    {
        get
        {
            lock (_lock)
            {
                return _devices.Count;
            }
        }
    }

    /// <summary>
    /// Admits one datagram of <paramref name="key"/> (an IMSI, or the source address of an anonymous device). When
    /// admitted, <see cref="Release"/> must be called with the same key once it has been handled.
    /// <paramref name="replyToRefusal"/> says whether a refusal should be answered (once per
    /// <see cref="RefusalReplyInterval"/> per device) or dropped silently, since a reply to every datagram of a flood
    /// would double it.
    /// </summary>
    public Verdict TryAdmit(object key, out bool replyToRefusal)
    {
        var now = _time.GetUtcNow().UtcTicks;
        lock (_lock)
        {
            replyToRefusal = false;
            if (!_devices.TryGetValue(key, out var device))
            {
                if (_devices.Count >= _maxDevices && !Sweep(now))
                {
                    return Verdict.TableFull;
                }

                device = new Device { Tokens = _burst, Stamp = now, LastRefusalReply = long.MinValue };
                _devices.Add(key, device);
            }

            Refill(device, now);
            var verdict = device.InFlight >= _maxInFlight ? Verdict.Busy
                : _tokensPerTick > 0 && device.Tokens < 1 ? Verdict.RateLimited
                : Verdict.Admitted;
            if (verdict == Verdict.Admitted)
            {
                device.InFlight++;
                if (_tokensPerTick > 0)
                {
                    device.Tokens--;
                }
            }
            else if (device.LastRefusalReply == long.MinValue || now - device.LastRefusalReply >= RefusalReplyInterval.Ticks)
            {
                device.LastRefusalReply = now;
                replyToRefusal = true;
            }

            return verdict;
        }
    }

    /// <summary>Ends one admitted datagram of <paramref name="key"/>.</summary>
    public void Release(object key)
    {
        lock (_lock)
        {
            // Entries with a datagram in flight are never swept, so the key is still there.
            if (_devices.TryGetValue(key, out var device) && device.InFlight > 0)
            {
                device.InFlight--;
            }
        }
    }

    private void Refill(Device device, long now)
    {
        if (_tokensPerTick > 0 && now > device.Stamp)
        {
            device.Tokens = Math.Min(_burst, device.Tokens + ((now - device.Stamp) * _tokensPerTick));
        }

        device.Stamp = Math.Max(device.Stamp, now);
    }

    // Drops the entries that hold no state worth keeping; at most once a second, so that a full table under a flood of
    // new sources does not cost a walk of the table per datagram. True when there is room afterwards.
    private bool Sweep(long now)
    {
        if (_lastSweep != long.MinValue && now - _lastSweep < TimeSpan.TicksPerSecond)
        {
            return false;
        }

        _lastSweep = now;
        List<object> idle = [];
        foreach (var (key, device) in _devices)
        {
            Refill(device, now);
            if (device.InFlight == 0 && (_tokensPerTick == 0 || device.Tokens >= _burst))
            {
                idle.Add(key);
            }
        }

        foreach (var key in idle)
        {
            _devices.Remove(key);
        }

        return _devices.Count < _maxDevices;
    }

    private sealed class Device
    {
        public int InFlight;
        public double Tokens;
        public long Stamp;
        public long LastRefusalReply;
    }
}
