import { formatApiKey, parseApiKey } from './api-key.format';

const ID = '0123456789abcdef01234567';
const SECRET = 'AbC_-0123456789abcdefghijklmnopqrstuvwxyzAB';

describe('API key format', () => {
  it('reads back the id and the secret, even a secret with underscores', () => {
    const key = formatApiKey(ID, SECRET);
    expect(key).toBe(`m2m_${ID}_${SECRET}`);
    expect(parseApiKey(key)).toEqual({ apiKeyId: ID, secret: SECRET });
  });

  it.each([
    ['the generated admin key', `m2m_admin_${SECRET}`],
    ['another prefix', `xyz_${ID}_${SECRET}`],
    ['an id in upper case', `m2m_${ID.toUpperCase()}_${SECRET}`],
    ['a short secret', `m2m_${ID}_${SECRET.slice(1)}`],
    ['a secret with padding', `m2m_${ID}_${SECRET.slice(1)}=`],
    ['trailing text', `m2m_${ID}_${SECRET} `],
  ])('does not read %s as a managed key', (_, presented) => {
    expect(parseApiKey(presented)).toBeNull();
  });
});
