using Gateway.Radius;

namespace Gateway.Registry;

/// <summary>
/// What RADIUS accounting means to the gateway: Start and Interim-Update bind the session's Framed-IP-Address to
/// the SIM found by 3GPP-IMSI, recording the IMEI (from 3GPP-IMEISV) and MSISDN the session reported; Stop unbinds
/// it (only if it is still that SIM's). With <c>Gateway:Radius:AutoRegisterGroupId</c> set, an IMSI the registry
/// does not know is registered into that group first; otherwise its traffic stays refused.
/// </summary>
internal sealed partial class AccountingBindingSink(IdentityResolver resolver, RegistryService registry, string? autoRegisterGroupId, ILogger<AccountingBindingSink> logger) : IAccountingEventSink
{
    public async ValueTask<bool> HandleAsync(AccountingEvent accountingEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accountingEvent);
        var e = accountingEvent;
        switch (e.StatusType)
        {
            case AcctStatusType.Start or AcctStatusType.InterimUpdate:
                if (e.FramedIpAddress is null || e.Imsi is null)
                {
                    // Nothing to bind; answering stops the NAS retransmitting a request that will never say more.
                    LogIncomplete(logger, e.StatusType, e.Client.ToString());
                    return true;
                }

                var binding = new AddressBinding(e.Imsi, e.Imei, e.Msisdn, e.ReceivedAt, Nas(e));
                if (resolver.Snapshot.FindByImsi(e.Imsi) is null)
                {
                    if (autoRegisterGroupId is not null)
                    {
                        return await AutoRegisterAsync(e, e.FramedIpAddress, binding, autoRegisterGroupId, cancellationToken);
                    }

                    LogUnknownImsi(logger, e.Imsi, e.FramedIpAddress.ToString());
                }

                return await StoreAsync(() => registry.BindAddressAsync(e.FramedIpAddress, binding, cancellationToken));

            case AcctStatusType.Stop:
                return e.FramedIpAddress is null || await StoreAsync(() => registry.UnbindAddressAsync(e.FramedIpAddress, e.Imsi, cancellationToken));

            case AcctStatusType.AccountingOn or AcctStatusType.AccountingOff:
                // The NAS (re)started or stops: every session it reported is over.
                return await StoreAsync(() => registry.UnbindNasAsync(Nas(e), cancellationToken));

            default:
                return true;
        }
    }

    /// <summary>
    /// Registers the SIM and binds its address in one store transaction, coalesced: in an attach storm, the new SIMs
    /// waiting at one moment share one transaction (and one fsync), and the answer waits for nothing else.
    /// </summary>
    private async Task<bool> AutoRegisterAsync(AccountingEvent e, System.Net.IPAddress address, AddressBinding binding, string groupId, CancellationToken cancellationToken)
    {
        RegistryUpdateResult result;
        try
        {
            result = await registry.RegisterAndBindAsync(AutoRegistration.Change(e.Imsi!, groupId, e.Imei, e.Msisdn), address, binding, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStoreFailed(logger, ex);
            return false;
        }

        if (!result.Succeeded)
        {
            LogAutoRegisterFailed(logger, e.Imsi!, string.Join("; ", result.Errors));
            return false;
        }

        LogAutoRegistered(logger, e.Imsi!, groupId);
        return true;
    }

    /// <summary>Who reported a session: the NAS-Identifier, else the address the request came from.</summary>
    private static string Nas(AccountingEvent e) => e.NasIdentifier ?? e.Client.Address.ToString();

    /// <summary>A store failure leaves the request unanswered, so the NAS retries it: nothing acknowledged is lost.</summary>
    private async Task<bool> StoreAsync(Func<Task> write)
    {
        try
        {
            await write();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStoreFailed(logger, ex);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "RADIUS binding could not be stored; the request stays unanswered so the NAS retries")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS {StatusType} from {Client} without Framed-IP-Address or 3GPP-IMSI: nothing bound")]
    private static partial void LogIncomplete(ILogger logger, AcctStatusType statusType, string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS binds {Address} to IMSI {Imsi}, which the registry does not know: its traffic stays refused")]
    private static partial void LogUnknownImsi(ILogger logger, string imsi, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "RADIUS auto-registered IMSI {Imsi} into group {GroupId}")]
    private static partial void LogAutoRegistered(ILogger logger, string imsi, string groupId);

    [LoggerMessage(Level = LogLevel.Error, Message = "RADIUS could not auto-register IMSI {Imsi}: {Errors}")]
    private static partial void LogAutoRegisterFailed(ILogger logger, string imsi, string errors);
}
