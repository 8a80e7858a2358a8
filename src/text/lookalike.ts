// Names that look alike on screen but are different strings: `wеb` with a Cyrillic е, or `web2` with a
// zero-width space. In a keys file one of them can create a second key while `apply --prune` deletes
// the real one. Format characters (invisible: zero-width spaces and joiners, bidi marks, the BOM) are
// refused in names; letters of other scripts that look like Latin ones are flagged by their skeleton.

/** Unicode format characters (category Cf): they change nothing visible, or reorder what is shown. */
const FORMAT = /\p{Cf}/gu;

/** The format characters in `text`, as `U+200B` labels (empty when there is none). */
export function formatCharacters(text: string): string[] {
  return [...new Set([...text.matchAll(FORMAT)].map((m) => `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`))];
}

// Cyrillic and Greek letters drawn like Latin ones (the common part of Unicode's confusables table
// that key names meet); NFKC already folds fullwidth and other compatibility forms.
const LATIN_LOOKALIKES: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ь: 'b',
  А: 'A', В: 'B', Е: 'E', З: '3', І: 'I', Ј: 'J', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X', Ѕ: 'S', Ԁ: 'D', Ԛ: 'Q', Ԝ: 'W',
  α: 'a', β: 'b', γ: 'y', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
};

/** What a name looks like: compatibility forms folded, format characters dropped, look-alike letters made Latin. */
export function skeleton(name: string): string {
  let out = '';
  for (const ch of name.normalize('NFKC').replace(FORMAT, '')) out += LATIN_LOOKALIKES[ch] ?? ch;
  return out;
}

/** Whether two different names look the same. */
export function looksAlike(a: string, b: string): boolean {
  return a !== b && skeleton(a) === skeleton(b);
}
