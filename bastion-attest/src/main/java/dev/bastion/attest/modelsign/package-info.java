/**
 * OpenSSF Model Signing (OMS) v1.0: signing and verifying a model (a file or a directory) as a
 * Sigstore bundle v0.3 holding a DSSE envelope over an in-toto Statement v1 with the predicate
 * {@code https://model_signing/signature/v1.0}, interoperable with the reference implementation
 * ({@code model_signing}, v0.2.0 to v1.1.0).
 *
 * <p>Entry points: {@link dev.bastion.attest.modelsign.ModelSigner} with a
 * {@link dev.bastion.attest.modelsign.SigningKey}, and
 * {@link dev.bastion.attest.modelsign.ModelVerifier} with a
 * {@link dev.bastion.attest.modelsign.TrustRoot}.
 *
 * <p>Decisions where producers, the reference implementation and the OMS text differ:
 *
 * <ul>
 *   <li><b>Certificate validity.</b> Chains are validated with PKIX at the time of verification
 *       (revocation off). Without a trusted timestamp a bundle cannot prove when it was signed;
 *       the reference implementation checks at the signing certificate's notBefore, which accepts
 *       expired certificates, and the OMS conformance suite expects them refused. A caller that
 *       holds a trusted signing time passes it as the validation time.
 *   <li><b>Trust anchors.</b> Every certificate given to the verifier is a trust anchor.
 *   <li><b>Single-file models.</b> The one resource is written {@code .}, as the reference
 *       implementation does; the OMS text names it by its file name, and verification accepts
 *       either.
 *   <li><b>Order.</b> Resources are sorted by Unicode code point of their names (OMS 5.2.1); shard
 *       resources by path, then numeric offset. Verification does not depend on order: the root
 *       digest is recomputed over the resources as listed.
 *   <li><b>Shards.</b> An empty file has no byte range and is not listed (OMS 6.3.2, as the
 *       reference implementation); the files method, the default, covers empty files. A
 *       {@code path:0:0} range written by another producer is matched. The reference
 *       implementation's {@code sha256-sharded-<size>} algorithm name and a shard size written
 *       {@code 8.0} are accepted.
 *   <li><b>Ignored paths.</b> The signature file and every top-level entry whose name starts with
 *       {@code .git} are never signed; what was left out is recorded in
 *       {@code serialization.ignore_paths}, and the recorded paths are added to the verifier's.
 *       When verifying, the default rule never hides a file the signature lists.
 *   <li><b>Legacy bundles.</b> The v0.2 predicate {@code https://model_signing/Digests/v0.1} is
 *       verified (never written), including its mis-encoded DSSE pre-authentication encoding,
 *       which is accepted for that predicate only.
 *   <li><b>Keyless bundles</b> (Sigstore, Fulcio and Rekor) parse but never verify: that needs the
 *       public-good Sigstore trust root and transparency log, which Bastion does not check.
 * </ul>
 */
package dev.bastion.attest.modelsign;
