// uPlot formats numbers with `new Intl.NumberFormat(navigator.language)` when it is imported, which
// throws where the language is not a valid locale tag (WebKitGTK under LANG=C.UTF-8 reports "C").
// Imported before uPlot: a page must not depend on the machine's locale settings.
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
}
