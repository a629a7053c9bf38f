// tlog-verify checks an m2m-trust audit log with the transparency-dev
// reference libraries only (none of the project's code): a C2SP
// tlog-checkpoint signed note against a note verifier key, an RFC 9162
// inclusion proof and a consistency proof. The test suite builds it
// (tools/scripts/tlog-verify.cjs) and feeds it what a real server answers.
//
//	tlog-verify checkpoint VKEY ORIGIN NOTE_FILE
//	  prints "size <n> root <hex>" when the signature and origin hold.
//	tlog-verify inclusion VKEY ORIGIN NOTE_FILE LEAF_INPUT_FILE INDEX PROOF_HEX...
//	  the leaf input (the record's canonical bytes) is hashed with RFC 6962's leaf hash.
//	tlog-verify consistency VKEY ORIGIN OLD_NOTE_FILE NEW_NOTE_FILE PROOF_HEX...
package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"strconv"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func checkpoint(vkey, origin, file string) *log.Checkpoint {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("bad verifier key: %v", err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		fail("read %s: %v", file, err)
	}
	cp, _, _, err := log.ParseCheckpoint(raw, origin, verifier)
	if err != nil {
		fail("checkpoint %s: %v", file, err)
	}
	return cp
}

func hashes(args []string) [][]byte {
	out := make([][]byte, 0, len(args))
	for _, arg := range args {
		h, err := hex.DecodeString(arg)
		if err != nil {
			fail("bad proof hash %q: %v", arg, err)
		}
		out = append(out, h)
	}
	return out
}

func main() {
	if len(os.Args) < 5 {
		fail("usage: tlog-verify checkpoint|inclusion|consistency VKEY ORIGIN ...")
	}
	vkey, origin := os.Args[2], os.Args[3]
	switch os.Args[1] {
	case "checkpoint":
		cp := checkpoint(vkey, origin, os.Args[4])
		fmt.Printf("size %d root %x\n", cp.Size, cp.Hash)
	case "inclusion":
		if len(os.Args) < 7 {
			fail("usage: tlog-verify inclusion VKEY ORIGIN NOTE_FILE LEAF_INPUT_FILE INDEX PROOF_HEX...")
		}
		cp := checkpoint(vkey, origin, os.Args[4])
		leaf, err := os.ReadFile(os.Args[5])
		if err != nil {
			fail("read leaf: %v", err)
		}
		index, err := strconv.ParseUint(os.Args[6], 10, 64)
		if err != nil {
			fail("bad index: %v", err)
		}
		leafHash := rfc6962.DefaultHasher.HashLeaf(leaf)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, cp.Size, leafHash, hashes(os.Args[7:]), cp.Hash); err != nil {
			fail("inclusion: %v", err)
		}
		fmt.Printf("included %d in %d\n", index, cp.Size)
	case "consistency":
		if len(os.Args) < 6 {
			fail("usage: tlog-verify consistency VKEY ORIGIN OLD_NOTE_FILE NEW_NOTE_FILE PROOF_HEX...")
		}
		older := checkpoint(vkey, origin, os.Args[4])
		newer := checkpoint(vkey, origin, os.Args[5])
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, older.Size, newer.Size, hashes(os.Args[6:]), older.Hash, newer.Hash); err != nil {
			fail("consistency: %v", err)
		}
		fmt.Printf("consistent %d -> %d\n", older.Size, newer.Size)
	default:
		fail("unknown command %s", os.Args[1])
	}
}
