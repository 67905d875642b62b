/**
 * The studio's Content-Security-Policy, shared by the browser shell (HTTP header) and Electron (session header).
 * index.html carries the same policy as a meta tag, so a page opened any other way is still locked down.
 * `style-src-attr 'unsafe-inline'` only: ECharts and Vue set style attributes (tooltips, sizes); <style> stays 'self'.
 */
export function contentSecurityPolicy(opts: { connect?: string[]; dev?: boolean } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // the Vite dev server injects component styles as <style> elements; built bundles use a CSS file
    opts.dev ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...(opts.connect ?? [])].join(' '),
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
