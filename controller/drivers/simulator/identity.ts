// A Microsoft-identity-platform-shaped token endpoint for the simulator server, so the graph driver's OAuth
// 2.0 client credentials (graph/auth.ts, through @azure/msal-node) are exercised over real HTTPS without a
// network: the OpenID configuration MSAL discovers, and `POST /{tenant}/oauth2/v2.0/token` for the
// client_credentials grant with a client secret or a certificate's signed client assertion (RS256 or PS256,
// checked against the registered certificate). Issued tokens are random, live `tokenLifetimeSeconds` of wall
// time (MSAL counts expiry on the wall clock), and are accepted as bearer tokens by every Graph route.
import { constants, createPublicKey, randomBytes, timingSafeEqual, verify, X509Certificate } from 'node:crypto';

/** The server's answer shape (server.ts RouteResult), declared here so this file does not import the server back. */
interface Answer {
  status: number;
  body?: unknown;
}

/** A route as server.ts mounts it (RouteDefinition): public, since a client has no token before it asks for one. */
export interface IdentityRoute {
  method: 'GET' | 'POST';
  path: string;
  public: true;
  handler(ctx: { body: unknown; baseUrl: string }): Answer;
}

export interface IdentityClient {
  clientId: string;
  /** Accepted client secret. */
  clientSecret?: string;
  /** Accepted certificate (PEM): client assertions must be signed by its key. */
  certificate?: string;
}

export interface IdentityOptions {
  /** The tenant id in the authority path (`/{tenantId}/oauth2/v2.0/token`). */
  tenantId: string;
  clients: IdentityClient[];
  /** `expires_in` of issued tokens. Default 3600. */
  tokenLifetimeSeconds?: number;
}

/** The token endpoint's routes and the check every Graph route makes of a bearer token it issued. */
export interface IdentityEndpoint {
  routes: IdentityRoute[];
  accepts(token: string): boolean;
  /** Tokens issued so far (tests assert when the driver fetched a new one). */
  readonly issued: number;
  /** Revokes every token issued so far, before its expiry (an admin revoking the app's sessions). */
  revokeAll(): void;
}

const oauthError = (status: number, error: string, description: string): Answer =>
  ({ status, body: { error, error_description: description, error_codes: [], timestamp: new Date().toISOString() } });

const b64url = (text: string) => Buffer.from(text, 'base64url');

/** Checks a client assertion JWT: signature by the certificate's key, audience, issuer/subject, expiry. */
function assertionProblem(assertion: string, client: IdentityClient, audience: string): string | undefined {
  if (!client.certificate) return 'AADSTS700027: the client has no certificate registered';
  const parts = assertion.split('.');
  if (parts.length !== 3) return 'AADSTS50027: the client assertion is not a JWT';
  let header: { alg?: string };
  let payload: { aud?: string; iss?: string; sub?: string; exp?: number };
  try {
    header = JSON.parse(b64url(parts[0]!).toString('utf8'));
    payload = JSON.parse(b64url(parts[1]!).toString('utf8'));
  } catch {
    return 'AADSTS50027: the client assertion is not a JWT';
  }
  const key = createPublicKey(new X509Certificate(client.certificate).publicKey.export({ type: 'spki', format: 'pem' }));
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = b64url(parts[2]!);
  const ok = header.alg === 'PS256'
    ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
    : header.alg === 'RS256' ? verify('sha256', data, key, signature) : false;
  if (!ok) return 'AADSTS700027: the client assertion signature does not match the registered certificate';
  if (payload.aud !== audience) return `AADSTS700027: the client assertion audience ${JSON.stringify(payload.aud)} is not this token endpoint`;
  if (payload.iss !== client.clientId || payload.sub !== client.clientId) return 'AADSTS700027: the client assertion issuer and subject must be the client id';
  if (typeof payload.exp !== 'number' || payload.exp * 1000 < Date.now()) return 'AADSTS700027: the client assertion has expired';
  return undefined;
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function identityEndpoint(o: IdentityOptions): IdentityEndpoint {
  const lifetime = o.tokenLifetimeSeconds ?? 3600;
  const tokens = new Map<string, number>();
  let issued = 0;
  const tenant = `/${o.tenantId}`;
  const routes: IdentityRoute[] = [
    {
      method: 'GET', path: `${tenant}/v2.0/.well-known/openid-configuration`, public: true,
      handler: (ctx) => ({
        status: 200,
        body: {
          issuer: `${ctx.baseUrl}${tenant}/v2.0`,
          token_endpoint: `${ctx.baseUrl}${tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${ctx.baseUrl}${tenant}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${ctx.baseUrl}${tenant}/oauth2/v2.0/logout`,
          jwks_uri: `${ctx.baseUrl}${tenant}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        },
      }),
    },
    {
      method: 'POST', path: `${tenant}/oauth2/v2.0/token`, public: true,
      handler(ctx) {
        const form = (ctx.body ?? {}) as Record<string, string>;
        if (form.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'AADSTS70003: only client_credentials is served here');
        const client = o.clients.find((c) => c.clientId === form.client_id);
        if (!client) return oauthError(400, 'unauthorized_client', `AADSTS700016: application ${JSON.stringify(form.client_id ?? '')} was not found in the directory`);
        if (form.scope?.split(' ').some((s) => s !== `${ctx.baseUrl}/.default`) ?? true) {
          return oauthError(400, 'invalid_scope', `AADSTS1002012: the scope must be ${ctx.baseUrl}/.default`);
        }
        if (form.client_secret !== undefined) {
          if (!client.clientSecret || !sameSecret(form.client_secret, client.clientSecret)) return oauthError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
        } else if (form.client_assertion !== undefined && form.client_assertion_type === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
          const problem = assertionProblem(form.client_assertion, client, `${ctx.baseUrl}${tenant}/oauth2/v2.0/token`);
          if (problem) return oauthError(401, 'invalid_client', problem);
        } else {
          return oauthError(401, 'invalid_client', 'AADSTS7000218: the request body must contain client_secret or client_assertion');
        }
        const now = Date.now();
        for (const [t, until] of tokens) if (until < now) tokens.delete(t);
        const token = randomBytes(32).toString('base64url');
        tokens.set(token, now + lifetime * 1000);
        issued++;
        return { status: 200, body: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token } };
      },
    },
  ];
  return {
    routes,
    accepts: (token) => (tokens.get(token) ?? 0) > Date.now(),
    revokeAll: () => tokens.clear(),
    get issued() {
      return issued;
    },
  };
}
