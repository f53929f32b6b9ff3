#!/usr/bin/python3
"""The protected page of the mod_auth_openidc recipe: the citizen's identity.

mod_auth_openidc has already verified the id_token (signature, iss, aud, exp, nonce) and the
signed userinfo JWT (signature against the hub's JWKS, `sub` equal to the id_token's) and put
their claims in OIDC_CLAIM_* variables. 2.4.12 does not check the userinfo JWT's `iss` and `aud`:
they are checked here, on the verified JWT it passes (OIDCPassUserInfoAs jwt).
"""
import base64
import html
import json
import os
import urllib.parse

PIVOT = [
    ('given_name', 'Prénom(s)'),
    ('family_name', 'Nom de naissance'),
    ('birthdate', 'Date de naissance'),
    ('gender', 'Sexe'),
    ('birthplace', 'Lieu de naissance (COG)'),
    ('birthcountry', 'Pays de naissance (COG)'),
    ('email', 'Adresse électronique'),
]


def claim(name):
    return os.environ.get('OIDC_CLAIM_' + name, '')


def userinfo_payload():
    """The payload of the userinfo JWT mod_auth_openidc verified, or None."""
    jwt = os.environ.get('OIDC_userinfo_jwt', '')
    parts = jwt.split('.')
    if len(parts) != 3:
        return None
    body = parts[1] + '=' * (-len(parts[1]) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        return None


def page(status, title, body):
    print('Status: ' + status)
    print('Content-Type: text/html; charset=utf-8')
    print('Cache-Control: no-store')
    print()
    print('<!doctype html><html lang="fr"><head><meta charset="utf-8">'
          '<title>' + html.escape(title) + '</title></head><body>'
          '<h1>' + html.escape(title) + '</h1>' + body + '</body></html>')


def main():
    sp_url = os.environ.get('RELAIS_SP_URL', '')
    # RP-initiated logout: mod_auth_openidc ends its session, then sends the browser to the hub's
    # end_session_endpoint with id_token_hint and this post_logout_redirect_uri.
    logout = '/oidc/callback?logout=' + urllib.parse.quote(sp_url + '/logged-out.html', safe='')
    # After a refusal, "Réessayer" ends both sessions first (the hub's would else go on by SSO).
    retry = ('<p><a href="' + html.escape(logout) + '">Réessayer</a> · '
             '<a href="/">Accueil</a></p>')

    refused = ('403 Forbidden', 'Connexion refusée',
               "<p>Les données transmises par Relais n'ont pas pu être vérifiées : aucune n'a "
               "été retenue. Vous pouvez réessayer, ou utiliser un autre moyen d'accès à ce "
               'service.</p>' + retry)
    if os.environ.get('SCRIPT_NAME') == '/refus':
        page(*refused)
        return

    userinfo = userinfo_payload()
    audience = (userinfo or {}).get('aud')
    audiences = audience if isinstance(audience, list) else [audience]
    if (not userinfo or userinfo.get('iss') != os.environ.get('RELAIS_ISSUER')
            or os.environ.get('RELAIS_CLIENT_ID') not in audiences or not claim('given_name')):
        page(*refused)
        return

    rows = ''.join(
        '<tr><th>' + html.escape(label) + '</th><td data-claim="' + name + '">'
        + html.escape(claim(name)) + '</td></tr>'
        for name, label in PIVOT)
    page('200 OK', 'Votre identité',
         '<table>' + rows + '</table>'
         '<p>Niveau eIDAS : <span data-claim="acr">' + html.escape(claim('acr')) + '</span></p>'
         '<p><a href="' + html.escape(logout) + '">Se déconnecter</a></p>')


main()
