package mcusim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
)

// CacheEnv names the environment variable that sets the compilation cache
// directory (the CLI's --cache-dir overrides it; "off" disables the cache).
const CacheEnv = "MCUSIM_CACHE"

// CompilationCacheDir returns the directory where wazero keeps compiled
// modules for this build of mcusim: base/<build identity>, with base the
// user's cache directory + "/mcusim" when empty. wazero keys its entries by
// its own version and the module's bytes; the build identity (the VCS
// revision the binary was built from and a hash of the executable) keeps a
// rebuilt mcusim from ever reading modules compiled by another build. The
// directory is created.
func CompilationCacheDir(base string) (string, error) {
	if base == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("compilation cache: %v (give --cache-dir DIR or --no-cache)", err)
		}
		base = filepath.Join(d, "mcusim")
	}
	id, err := buildIdentity()
	if err != nil {
		return "", fmt.Errorf("compilation cache: %v", err)
	}
	dir := filepath.Join(base, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("compilation cache: %v", err)
	}
	return dir, nil
}

var buildID struct {
	once sync.Once
	id   string
	err  error
}

// buildIdentity names this build: "<vcs revision>[-dirty]-<sha256 of the
// executable, 16 hex digits>", or "dev-<hash>" without VCS information (go
// test, go run). The hash alone already tells builds apart; the revision
// makes the directory recognisable. Computed once per process.
func buildIdentity() (string, error) {
	buildID.once.Do(func() {
		rev := "dev"
		if bi, ok := debug.ReadBuildInfo(); ok {
			var r, modified string
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					r = s.Value
				case "vcs.modified":
					modified = s.Value
				}
			}
			if r != "" {
				rev = r[:min(12, len(r))]
				if modified == "true" {
					rev += "-dirty"
				}
			}
		}
		exe, err := os.Executable()
		if err != nil {
			buildID.err = err
			return
		}
		f, err := os.Open(exe)
		if err != nil {
			buildID.err = err
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			buildID.err = err
			return
		}
		buildID.id = rev + "-" + hex.EncodeToString(h.Sum(nil))[:16]
	})
	return buildID.id, buildID.err
}
