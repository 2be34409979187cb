/**
 * The transparency log underneath the ledger, built on the public formats: RFC 9162 Merkle tree
 * hashing and proof verification ({@link dev.bastion.ledger.tlog.Rfc9162}); a file-backed tree that
 * serves roots, inclusion proofs and consistency proofs for every past size in bounded memory
 * ({@link dev.bastion.ledger.tlog.TreeStore}); C2SP tlog-checkpoint bodies ({@link
 * dev.bastion.ledger.tlog.Checkpoint}) and C2SP signed notes with Ed25519 and {@code
 * cosignature/v1} witness signatures ({@link dev.bastion.ledger.tlog.NoteSigner}, {@link
 * dev.bastion.ledger.tlog.NoteVerifier}).
 */
package dev.bastion.ledger.tlog;
