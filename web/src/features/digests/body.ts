/**
 * A digest's HTML without what its page already shows above and beside it: the title (the
 * page's heading) and the Numbers section's totals table (the Numbers panel). A digest
 * across several repositories keeps its table of each repository's figures, which no
 * panel shows. `html` must be sanitised already: it is parsed in an inert template.
 */
export function withoutRepeats(html: string): string {
  const template = document.createElement("template");
  template.innerHTML = html;
  const root = template.content;
  root.querySelector("h1")?.remove();
  const numbers = Array.from(root.querySelectorAll("h2")).find((h) => h.textContent?.trim() === "Numbers");
  if (numbers) {
    const section: Element[] = [];
    for (let next = numbers.nextElementSibling; next && next.tagName !== "H2"; next = next.nextElementSibling) {
      section.push(next);
    }
    const [totals, ...rest] = section.filter((element) => element.tagName === "TABLE");
    totals?.remove();
    if (rest.length === 0) {
      for (const element of section) element.remove();
      numbers.remove();
    } else {
      numbers.textContent = "Numbers by repository";
    }
  }
  return template.innerHTML;
}
