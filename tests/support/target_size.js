// WCAG 2.2 success criterion 2.5.8, Target Size (Minimum): every visible target is at least
// 24 x 24 CSS pixels, or a 24 px circle centred on it meets no other target (the spacing
// exception), or it is a link inside a sentence (the inline exception). Returns the failures.
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const targets = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width < 2 || r.height < 2 || style.visibility === 'hidden') continue;  // not shown
    if (el.closest('.visually-hidden')) continue;
    let inline = false;
    if (el.tagName === 'A' && style.display === 'inline') {
      const words = el.parentElement.textContent.replace(/\s+/g, ' ').trim();
      inline = words.length > el.textContent.replace(/\s+/g, ' ').trim().length;
    }
    targets.push({el, r, inline});
  }
  const distance = (x, y, r) => Math.hypot(
    Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  const failures = [];
  for (const t of targets) {
    if (t.inline || (t.r.width >= 24 && t.r.height >= 24)) continue;
    const x = t.r.left + t.r.width / 2, y = t.r.top + t.r.height / 2;
    const crowded = targets.some(o => o !== t && !o.el.contains(t.el) && !t.el.contains(o.el) && (
      (o.r.width >= 24 && o.r.height >= 24) || o.inline
        ? distance(x, y, o.r) < 12
        : Math.hypot(x - (o.r.left + o.r.width / 2), y - (o.r.top + o.r.height / 2)) < 24));
    if (crowded) {
      const name = (t.el.getAttribute('aria-label') || t.el.textContent || t.el.name || t.el.id)
        .replace(/\s+/g, ' ').trim().slice(0, 40);
      failures.push(`${t.el.tagName.toLowerCase()} "${name}" ${Math.round(t.r.width)}x${Math.round(t.r.height)}`);
    }
  }
  return failures;
}
