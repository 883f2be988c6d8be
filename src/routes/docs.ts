/**
 * The interactive API reference at /api/docs: Swagger UI served by the app itself (no CDN, so it
 * works offline), reading the document at /api/openapi.json. The page runs no inline script: its
 * initializer is a file of its own, so it works under the strict Content-Security-Policy it is
 * answered with.
 */
import { Hono } from 'hono';
import { AppError } from '../errors.ts';
import { readStaticAsset, type StaticAssetName, staticAssetVersion } from '../static.ts';

/** The API reference's static files, served under /api/docs/. */
export const DOCS_ASSETS: readonly StaticAssetName[] = [
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'favicon-32x32.png',
];

const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** The asset's URL, with its package's version so that a new version is fetched anew. */
function assetUrl(name: StaticAssetName): string {
  return `/api/docs/${name}?v=${encodeURIComponent(staticAssetVersion(name))}`;
}

function page(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>earshot API</title>
<link rel="icon" type="image/png" href="${assetUrl('favicon-32x32.png')}">
<link rel="stylesheet" href="${assetUrl('swagger-ui.css')}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assetUrl('swagger-ui-bundle.js')}"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;
}

const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
});
`;

export function docsRoutes() {
  const html = page();
  return new Hono()
    .get('/', (c) => c.html(html, 200, PAGE_HEADERS))
    .get('/init.js', (c) =>
      c.body(INIT_SCRIPT, 200, {
        'content-type': 'text/javascript; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      }),
    )
    .get('/:name', async (c) => {
      const name = c.req.param('name');
      const asset = DOCS_ASSETS.includes(name as StaticAssetName) ? readStaticAsset(name) : undefined;
      if (!asset) throw AppError.notFound('asset', name);
      const { body, type } = await asset;
      return c.body(body, 200, {
        'content-type': type,
        'x-content-type-options': 'nosniff',
        // The page asks for each with its package's version: a new version is a new URL.
        'cache-control': 'public, max-age=31536000, immutable',
      });
    });
}
