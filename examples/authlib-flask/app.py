"""A service provider of Relais (FranceConnect v2 style) with Authlib's Flask client.

The recipe is docs/recipes/authlib.md; its end-to-end test, test/recipes/authlib.test.ts.
Authlib (1.2, Debian 12's python3-authlib) does the authorization request, the state and PKCE
checks, the code exchange and the id_token verification. What it does not do for Relais is done
here, in plain sight:

- the nonce: Authlib's default is 20 characters, Relais requires at least 22 (R1007);
- RFC 9207: Authlib ignores the `iss` of the authorization response; it is checked here first;
- the userinfo: Relais always answers a signed JWT (application/jwt), which Authlib's
  `userinfo()` cannot read; it is fetched and verified here (signature against the hub's JWKS,
  iss, aud, exp, and `sub` equal to the id_token's);
- the logout: RP-initiated logout to the hub's end_session_endpoint;
- the errors the hub sends to the redirect URI: a page with a way on for the citizen.

Configuration, from the environment (never logged):
  RELAIS_ISSUER        the hub's issuer, e.g. https://relais.example
  RELAIS_CLIENT_ID     this service's client_id at the hub
  RELAIS_CLIENT_SECRET its secret (client_secret_post)
  APP_URL              this service's base URL, e.g. https://sp.example; the hub has
                       APP_URL/callback as redirect URI and APP_URL/logged-out as
                       post-logout redirect URI, to the letter
  FLASK_SECRET_KEY     signs Flask's session cookie (random, 32 bytes or more)
  RELAIS_SCOPE         optional, default "openid identite_pivot email"
  RELAIS_ACR_VALUES    optional, default "eidas1"
"""

import base64
import json
import logging
import os
import re
import secrets
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import JoseError
from flask import Flask, redirect, render_template_string, request, session

ISSUER = os.environ['RELAIS_ISSUER']
CLIENT_ID = os.environ['RELAIS_CLIENT_ID']
APP_URL = os.environ['APP_URL'].rstrip('/')
REDIRECT_URI = APP_URL + '/callback'
POST_LOGOUT_REDIRECT_URI = APP_URL + '/logged-out'
SCOPE = os.environ.get('RELAIS_SCOPE', 'openid identite_pivot email')
ACR_VALUES = os.environ.get('RELAIS_ACR_VALUES', 'eidas1')
# As registered for this service at the hub (id_token_signed_response_alg and
# userinfo_signed_response_alg): any other algorithm is refused.
SIGNING_ALG = 'ES256'

app = Flask(__name__)
app.secret_key = os.environ['FLASK_SECRET_KEY']
app.config.update(
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE='Lax',  # the hub's redirect back is a top-level GET: Lax is sent
    SESSION_COOKIE_SECURE=APP_URL.startswith('https://'),
)

oauth = OAuth(app)
oauth.register(
    'relais',
    client_id=CLIENT_ID,
    client_secret=os.environ['RELAIS_CLIENT_SECRET'],
    server_metadata_url=ISSUER + '/.well-known/openid-configuration',
    client_kwargs={
        'scope': SCOPE,
        'code_challenge_method': 'S256',  # PKCE: Authlib makes and keeps the verifier
        'token_endpoint_auth_method': 'client_secret_post',
        'timeout': 10,
    },
)


def hub():
    """The hub's discovery document (fetched once, kept by Authlib)."""
    return oauth.relais.load_server_metadata()


class Refused(Exception):
    """A response of the hub that failed a check: the login is refused."""


# --- Signed JWTs from the hub (id_token header check, userinfo) ------------------------------------

def jwt_header(token):
    head = token.split('.')[0]
    return json.loads(base64.urlsafe_b64decode(head + '=' * (-len(head) % 4)))


def hub_key(header, _payload):
    """The hub's key for this kid; the JWKS is fetched again once on an unknown kid (rotation)."""
    keys = JsonWebKey.import_key_set(oauth.relais.fetch_jwk_set())
    try:
        return keys.find_by_kid(header.get('kid'))
    except ValueError:
        keys = JsonWebKey.import_key_set(oauth.relais.fetch_jwk_set(force=True))
        return keys.find_by_kid(header.get('kid'))


def fetch_signed_userinfo(access_token, id_token_sub):
    """GET the userinfo with the access token and verify the signed JWT it always is."""
    response = requests.get(
        hub()['userinfo_endpoint'],
        headers={'Authorization': 'Bearer ' + access_token, 'Accept': 'application/jwt'},
        timeout=10,
    )
    if response.status_code != 200:
        raise Refused('userinfo answered HTTP %d' % response.status_code)
    if response.headers.get('Content-Type', '').split(';')[0].strip() != 'application/jwt':
        raise Refused('userinfo is not a signed JWT')
    try:
        claims = JsonWebToken([SIGNING_ALG]).decode(
            response.text,
            key=hub_key,
            claims_options={
                'iss': {'essential': True, 'value': hub()['issuer']},
                'aud': {'essential': True, 'value': CLIENT_ID},
                'sub': {'essential': True, 'value': id_token_sub},
            },
        )
        claims.validate(leeway=60)  # iss, aud, sub, and exp / iat when present
    except (JoseError, ValueError) as error:
        raise Refused('userinfo JWT: %s' % type(error).__name__) from error
    return dict(claims)


# --- Pages ------------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
{% if identity %}
<table>
  {% for name, label in pivot %}
  <tr><th>{{ label }}</th><td data-claim="{{ name }}">{{ identity.get(name, '') }}</td></tr>
  {% endfor %}
</table>
<p>Niveau eIDAS : <span data-claim="acr">{{ acr }}</span></p>
<p><a href="/logout">Se déconnecter</a></p>
{% endif %}
{% for line in lines %}<p>{{ line }}</p>{% endfor %}
{% if code %}<p>Code : <code>{{ code }}</code></p>{% endif %}
{% for href, label in links %}<a href="{{ href }}">{{ label }}</a>{% if not loop.last %} · {% endif %}{% endfor %}
</body></html>
"""

PIVOT = [
    ('given_name', 'Prénom(s)'),
    ('family_name', 'Nom de naissance'),
    ('birthdate', 'Date de naissance'),
    ('gender', 'Sexe'),
    ('birthplace', 'Lieu de naissance (COG)'),
    ('birthcountry', 'Pays de naissance (COG)'),
    ('email', 'Adresse électronique'),
]

WAY_ON = [('/login', 'Réessayer'), ('/', 'Accueil')]


def page(title, status=200, lines=(), links=(), identity=None, acr=None, code=None):
    html = render_template_string(
        PAGE, title=title, lines=lines, links=links, identity=identity, acr=acr, code=code,
        pivot=PIVOT)
    return html, status, {'Cache-Control': 'no-store'}


def refused(reason):
    """A login refused after a check failed: nothing of it is kept; the citizen may try again."""
    app.logger.warning('login refused: %s', reason)  # the reason only, never a token
    session.clear()
    return page('Connexion refusée', 403,
                ["Les données transmises par Relais n'ont pas pu être vérifiées : aucune n'a "
                 "été retenue. Vous pouvez réessayer, ou utiliser un autre moyen d'accès à ce "
                 'service.'], WAY_ON)


@app.get('/')
def home():
    identity = session.get('identity')
    if identity:
        return page('Votre identité', identity=identity, acr=session.get('acr'))
    return page('Service exemple (Authlib)', links=[('/login', 'Se connecter avec Relais')])


@app.get('/login')
def login():
    # FranceConnect v2 parameters. Authlib makes the PKCE pair and keeps state, nonce and
    # verifier in the session; the nonce is passed explicitly: Authlib's default (20 characters)
    # is refused by Relais, which requires at least 22 (R1007).
    return oauth.relais.authorize_redirect(
        REDIRECT_URI,
        state=secrets.token_urlsafe(32),  # 43 characters
        nonce=secrets.token_urlsafe(32),  # 43 characters
        acr_values=ACR_VALUES,
        prompt='login consent',
    )


@app.get('/callback')
def callback():
    # RFC 9207 (mix-up protection), before anything else: Authlib does not look at `iss`.
    if request.args.get('iss') != hub()['issuer']:
        return refused('the authorization response is not from the hub (iss)')

    # An error from the hub: error, error_description ending with [Rxxxx], state, iss.
    if 'error' in request.args:
        state = request.args.get('state', '')
        ours = oauth.relais.framework.get_state_data(session, state) is not None
        oauth.relais.framework.clear_state_data(session, state)
        description = request.args.get('error_description', '')
        found = re.search(r'\[(R\d{4})\]$', description)
        lines = ["La connexion avec Relais n'a pas abouti."]
        if ours:
            lines.append(description)
        if request.args['error'] in ('access_denied', 'login_required'):
            lines.append('Vous pouvez réessayer, avec le même compte ou un autre.')
        elif request.args['error'] == 'temporarily_unavailable':
            lines.append('Le service est momentanément indisponible : réessayez dans quelques '
                         'minutes.')
        lines.append("Vous pouvez aussi utiliser un autre moyen d'accès à ce service.")
        return page('Connexion impossible', 200, lines, WAY_ON,
                    code=found.group(1) if found and ours else None)

    try:
        # The state (against the session), the code exchange with the PKCE verifier, then the
        # id_token: signature against the hub's JWKS (refetched once on an unknown kid), iss,
        # aud, exp, nonce, at_hash.
        token = oauth.relais.authorize_access_token()
        id_token = token.get('userinfo')  # Authlib's name for the verified id_token claims
        if not id_token or jwt_header(token['id_token']).get('alg') != SIGNING_ALG:
            raise Refused('no verified id_token')
        userinfo = fetch_signed_userinfo(token['access_token'], id_token['sub'])
    except (OAuthError, JoseError, ValueError, KeyError, requests.RequestException) as error:
        return refused(type(error).__name__)
    except Refused as error:
        return refused(str(error))

    session.clear()
    session['identity'] = {name: userinfo[name] for name, _ in PIVOT if name in userinfo}
    session['acr'] = id_token.get('acr')
    session['id_token'] = token['id_token']  # the id_token_hint of the logout
    return redirect('/')


@app.get('/logout')
def logout():
    id_token = session.get('id_token')
    session.clear()
    if not id_token:
        return redirect('/')
    # RP-initiated logout: the hub ends its session (and the IdP's), then comes back with state.
    state = secrets.token_urlsafe(32)
    session['logout_state'] = state
    return redirect(hub()['end_session_endpoint'] + '?' + urlencode({
        'id_token_hint': id_token,
        'post_logout_redirect_uri': POST_LOGOUT_REDIRECT_URI,
        'state': state,
    }))


@app.get('/logged-out')
def logged_out():
    expected = session.pop('logout_state', None)
    if not expected or not secrets.compare_digest(request.args.get('state', ''), expected):
        return page('Déconnexion', 400, ["Cette déconnexion n'a pas été demandée par ce service."],
                    [('/', 'Accueil')])
    return page('Vous êtes déconnecté(e)',
                lines=['Votre session sur ce service et votre session Relais sont terminées.'],
                links=[('/login', 'Se reconnecter'), ('/', 'Accueil')])


if __name__ == '__main__':
    # The development server, for trying the recipe; behind a real WSGI server in production.
    # Its request log would show codes and states: kept to warnings.
    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    address = urlsplit(APP_URL)
    app.run(host=os.environ.get('APP_HOST', address.hostname),
            port=int(os.environ.get('APP_PORT', address.port or 80)))
