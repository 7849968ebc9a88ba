/**
 * For text that arrives in pieces: how much of a piece's end could still become one of `markers`
 * (the longest proper prefix of a marker the text ends with), so that much is held for the next
 * piece. Only positions holding a marker's first character are tried: a token rarely has one.
 */
export function createPartialMarkerMatcher(markers: readonly string[]): (text: string) => number {
  const firstChars = new Set(markers.map((marker) => marker.charAt(0)));
  const longest = markers.reduce((max, marker) => Math.max(max, marker.length), 0);
  return (text) => {
    for (let at = Math.max(0, text.length - longest + 1); at < text.length; at++) {
      if (!firstChars.has(text.charAt(at))) continue;
      const tail = text.length - at;
      if (markers.some((marker) => marker.length > tail && marker.startsWith(text.slice(at)))) return tail;
    }
    return 0;
  };
}
