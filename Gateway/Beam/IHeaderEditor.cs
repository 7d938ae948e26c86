namespace Gateway.Beam;

/// <summary>Where Beam puts and removes upstream request headers: an HttpRequestMessage, or the relay's header list.</summary>
internal interface IHeaderEditor
{
    /// <summary>Adds a value; a header already present keeps its values too.</summary>
    void Add(string name, string value);

    /// <summary>Removes every value of a header (names compare case-insensitively), device-sent or added earlier.</summary>
    void Remove(string name);
}
