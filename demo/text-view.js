// What the writing page shows of the network's text: samples as prose, and the next-character
// distribution as bars. Pure functions of their inputs but for the DOM nodes they fill.

/**
 * `text` as prose for a narrow screen: the book's hard line breaks (every ~70 characters) become
 * spaces, paragraph breaks (two or more newlines) stay one blank line.
 */
export function asProse(text) {
  return text.replace(/\n{2,}/g, '\u2029').replace(/\n/g, ' ').replace(/\u2029/g, '\n\n');
}

/** A character as a visitor can read it on a bar: space and newline get names. */
export function charLabel(c) {
  return { ' ': '␣', '\n': '↵', '\t': '⇥' }[c] ?? c;
}

/**
 * The probabilities at position `position` of predict's output `out` ([T, V] for one window) as
 * [{ char, p }], the `top` most likely first.
 */
export function nextChars(out, position, chars, top = 10) {
  const V = chars.length;
  const row = Array.from(out.subarray(position * V, position * V + V), (p, i) => ({ char: chars[i], p }));
  return row.sort((a, b) => b.p - a.p).slice(0, top);
}

/** Fills `container` with one bar per { char, p }, the likeliest as a full bar. */
export function showNextChars(container, ranked) {
  const top = ranked[0]?.p || 1;
  container.replaceChildren(...ranked.map(({ char, p }) => {
    const bar = document.createElement('div');
    bar.className = 'bar';
    const label = Object.assign(document.createElement('span'), { textContent: charLabel(char), title: JSON.stringify(char) });
    const fill = document.createElement('div');
    fill.className = 'fill';
    fill.style.width = `${((100 * p) / top).toFixed(1)}%`;
    const value = Object.assign(document.createElement('span'), { textContent: `${(100 * p).toFixed(1)} %` });
    bar.append(label, fill, value);
    return bar;
  }));
  container.dataset.best = ranked[0]?.char ?? '';
}

/** The sample paragraph: a line saying when it was written, the prompt in bold, then the network's text. */
export function showSample(node, { prompt, text, meta }) {
  node.replaceChildren(
    Object.assign(document.createElement('span'), { className: 'meta', textContent: meta }),
    Object.assign(document.createElement('b'), { textContent: asProse(prompt) }),
    document.createTextNode(asProse(text)),
  );
}
