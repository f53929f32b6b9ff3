// The data an SP receives, in the citizen's words (consent page).
const LABELS: Record<string, string> = {
  given_name: 'Prénoms',
  family_name: 'Nom de naissance',
  birthdate: 'Date de naissance',
  gender: 'Sexe',
  birthplace: 'Lieu de naissance',
  birthcountry: 'Pays de naissance',
  email: 'Adresse électronique',
  preferred_username: 'Nom d’usage',
};

export function claimLabels(claims: Iterable<string>): string[] {
  return [...claims].flatMap((claim) => (LABELS[claim] ? [LABELS[claim]] : []));
}
