// Credential encryption: round trip, tamper detection, context binding, key rotation and key parsing.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { CredentialCipher, CredentialDecryptError, keyIdOf, parseCredentialKeys } from '../../src/providers/crypto.js'

const hexKey = () => randomBytes(32).toString('hex')
const secret = { accessToken: 'at-' + randomBytes(24).toString('base64url'), refreshToken: 'rt-secret-value' }

t.test('round trip, fresh IV each time, plaintext absent', async (t) => {
  const cipher = CredentialCipher.fromConfig([`k1:${hexKey()}`])
  const a = cipher.encryptJson(secret, 'ctx')
  const b = cipher.encryptJson(secret, 'ctx')
  t.same(cipher.decryptJson(a, 'ctx'), secret)
  t.not(a.toString('hex'), b.toString('hex'), 'same plaintext, different ciphertext')
  t.notOk(a.includes(Buffer.from(secret.accessToken)), 'no plaintext inside')
  t.equal(keyIdOf(a), 'k1')
  // version + id length + "k1" + 12-byte IV + ciphertext + 16-byte tag
  t.equal(a.length, 2 + 2 + 12 + Buffer.byteLength(JSON.stringify(secret)) + 16)
})

t.test('any change is detected', async (t) => {
  const cipher = CredentialCipher.fromConfig([`k1:${hexKey()}`])
  const good = cipher.encryptJson(secret, 'ctx')
  const flip = (index: number) => {
    const copy = Buffer.from(good)
    copy[index] = copy[index]! ^ 0x01
    return copy
  }
  t.throws(() => cipher.decrypt(flip(good.length - 20), 'ctx'), CredentialDecryptError, 'ciphertext byte')
  t.throws(() => cipher.decrypt(flip(good.length - 1), 'ctx'), CredentialDecryptError, 'tag byte')
  t.throws(() => cipher.decrypt(flip(6), 'ctx'), CredentialDecryptError, 'IV byte')
  t.throws(() => cipher.decrypt(flip(0), 'ctx'), /envelope version/, 'version byte')
  t.throws(() => cipher.decrypt(flip(3), 'ctx'), /not in CREDENTIALS_KEY/, 'key id byte')
  t.throws(() => cipher.decrypt(good.subarray(0, 20), 'ctx'), /truncated/, 'truncated')
  t.throws(() => cipher.decrypt(good, 'other-ctx'), /authentication/, 'moved to another record (context)')
  t.throws(() => CredentialCipher.fromConfig([`k1:${hexKey()}`]).decrypt(good, 'ctx'), /authentication/, 'same id, other key bytes')
})

t.test('rotation: the new key encrypts, the old one still decrypts until removed', async (t) => {
  const oldKey = `old:${hexKey()}`
  const newKey = `new:${randomBytes(32).toString('base64')}`
  const before = CredentialCipher.fromConfig([oldKey]).encryptJson(secret, 'ctx')
  const rotated = CredentialCipher.fromConfig([newKey, oldKey])
  t.same(rotated.decryptJson(before, 'ctx'), secret, 'old ciphertext readable')
  const after = rotated.encryptJson(rotated.decryptJson(before, 'ctx'), 'ctx')
  t.same([keyIdOf(before), keyIdOf(after), rotated.currentKeyId], ['old', 'new', 'new'])
  const retired = CredentialCipher.fromConfig([newKey])
  t.same(retired.decryptJson(after, 'ctx'), secret)
  t.throws(() => retired.decrypt(before, 'ctx'), /key "old", which is not in CREDENTIALS_KEY/)
})

t.test('key parsing', async (t) => {
  const material = hexKey()
  const [derived] = parseCredentialKeys([material])
  t.match(derived!.id, /^[0-9a-f]{8}$/, 'id defaults to a fingerprint')
  t.equal(parseCredentialKeys([Buffer.from(material, 'hex').toString('base64')])[0]!.id, derived!.id, 'hex and base64 of one key agree')
  t.throws(() => parseCredentialKeys(['abc']), /32 bytes/)
  t.throws(() => parseCredentialKeys([randomBytes(16).toString('hex')]), /32 bytes/, '128-bit key refused')
  t.throws(() => parseCredentialKeys([`bad id!:${material}`]), /key id/)
  t.throws(() => parseCredentialKeys([`a:${material}`, `a:${hexKey()}`]), /share one id/)
})
