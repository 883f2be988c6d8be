import { createRoute } from '@hono/zod-openapi';
import { principalOf } from '../auth/middleware.ts';
import { createToken, listTokens, revokeToken, TokenInput } from '../auth/tokens.ts';
import type { Deps } from '../deps.ts';
import { createOpenApiApp, describeBodies, errorResponses, jsonResponse, type Tag } from './openapi.ts';
import * as answers from './responses.ts';
import { IdParam, jsonBody } from './validate.ts';

const tags: Tag[] = ['Tokens'];

/** API tokens (admin only): list, create (the token is in the answer, once), revoke. */
export function tokenRoutes(deps: Deps) {
  const app = createOpenApiApp();
  const bodies = describeBodies(app, {
    TokenInput: {
      schema: TokenInput,
      description: 'A name to recognise it by, its scope, and optionally its own requests a minute',
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List tokens',
      description: 'Every token, revoked ones too; never a token itself.',
      responses: { 200: jsonResponse('The tokens', answers.TokenList) },
    }),
    async (c) => c.json({ items: await listTokens({ deps }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags,
      summary: 'Create a token',
      description:
        'The answer holds the token (`secret`): it is stored only as a hash and never shown again.',
      request: { body: bodies.TokenInput },
      responses: {
        201: jsonResponse('The token and its secret', answers.CreatedToken),
        ...errorResponses(400, 413),
      },
    }),
    async (c) => {
      const made = await createToken({
        deps,
        input: await jsonBody(c),
        createdBy: `token ${principalOf(c).tokenId}`,
      });
      return c.json(made, 201, { location: `/api/tokens/${made.token.id}`, 'cache-control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      tags,
      summary: 'Revoke a token',
      description:
        'It stops working at once, and the dashboard sessions opened with it end. The last admin token cannot be revoked (409): create another first.',
      request: { params: IdParam },
      responses: { 200: jsonResponse('The revoked token', answers.Token), ...errorResponses(400, 404, 409) },
    }),
    async (c) => c.json(await revokeToken({ deps, input: { id: c.req.valid('param').id } }), 200),
  );

  return app;
}

/** Who the caller is: any token may ask. */
export function meRoutes() {
  const app = createOpenApiApp();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'The token making this request',
      responses: {
        200: jsonResponse(
          'Its name and scope, and whether it came as a bearer token or a session',
          answers.Me,
        ),
      },
    }),
    async (c) => {
      const p = principalOf(c);
      return c.json(
        { tokenId: p.tokenId, name: p.name, scope: p.scope, via: p.session ? 'session' : 'bearer' } as const,
        200,
      );
    },
  );
  return app;
}
