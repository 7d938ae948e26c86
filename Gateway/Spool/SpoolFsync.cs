namespace Gateway.Spool;

/// <summary>When an append is made durable (see <see cref="SpoolOptions.Fsync"/>).</summary>
internal enum SpoolFsync
{
    Always,
    Interval,
    None,
}
