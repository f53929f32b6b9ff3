// The few DOM types the in-page functions of the browser tests use: the project's tsconfig has no
// DOM lib (src is server code), and adding it for everyone would hide mistakes there. Cast
// `globalThis as unknown as DomWindow` inside page.evaluate; these are types only, erased at run time.
export interface DomElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly children: ArrayLike<DomElement> & Iterable<DomElement>;
  readonly parentElement: DomElement | null;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  closest(selector: string): DomElement | null;
}

export interface DomInput extends DomElement {
  readonly form: DomElement | null;
  readonly labels: Iterable<DomElement> | null;
  readonly validity: { readonly valueMissing: boolean };
}

export interface DomWindow {
  readonly document: {
    readonly activeElement: DomElement | null;
    readonly body: DomElement;
    readonly documentElement: { readonly scrollWidth: number };
    querySelectorAll(selector: string): Iterable<DomElement>;
    getElementById(id: string): DomElement | null;
  };
  getComputedStyle(element: DomElement): { outlineStyle: string; outlineWidth: string; boxShadow: string };
}
