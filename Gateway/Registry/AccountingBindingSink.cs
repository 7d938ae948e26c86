using System.Text.Json.Nodes;
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

                if (resolver.Snapshot.FindByImsi(e.Imsi) is null)
                {
                    if (autoRegisterGroupId is null)
                    {
                        LogUnknownImsi(logger, e.Imsi, e.FramedIpAddress.ToString());
                    }
                    else
                    {
                        var subscriber = new JsonObject { ["imsi"] = e.Imsi, ["groupId"] = autoRegisterGroupId };
                        if (e.Imei is not null)
                        {
                            subscriber["imei"] = e.Imei;
                        }

                        if (e.Msisdn is not null)
                        {
                            subscriber["msisdn"] = e.Msisdn;
                        }

                        var result = await registry.ApplyAsync([new RegistryChange(RegistryElementKind.Subscriber, e.Imsi, subscriber)], cancellationToken);
                        if (!result.Succeeded)
                        {
                            LogAutoRegisterFailed(logger, e.Imsi, string.Join("; ", result.Errors));
                            return false;
                        }

                        LogAutoRegistered(logger, e.Imsi, autoRegisterGroupId);
                    }
                }

                resolver.Bind(e.FramedIpAddress, new AddressBinding(e.Imsi, e.Imei, e.Msisdn, e.ReceivedAt));
                return true;

            case AcctStatusType.Stop:
                if (e.FramedIpAddress is not null)
                {
                    resolver.Unbind(e.FramedIpAddress, e.Imsi);
                }

                return true;

            default:
                return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS {StatusType} from {Client} without Framed-IP-Address or 3GPP-IMSI: nothing bound")]
    private static partial void LogIncomplete(ILogger logger, AcctStatusType statusType, string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS binds {Address} to IMSI {Imsi}, which the registry does not know: its traffic stays refused")]
    private static partial void LogUnknownImsi(ILogger logger, string imsi, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "RADIUS auto-registered IMSI {Imsi} into group {GroupId}")]
    private static partial void LogAutoRegistered(ILogger logger, string imsi, string groupId);

    [LoggerMessage(Level = LogLevel.Error, Message = "RADIUS could not auto-register IMSI {Imsi}: {Errors}")]
    private static partial void LogAutoRegisterFailed(ILogger logger, string imsi, string errors);
}
