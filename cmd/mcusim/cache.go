package main

import (
	"flag"
	"os"

	"mcusim"
)

// cacheFlags select the on-disk compilation cache of the verbs that compile
// generated kernels (run, estimate --exec).
type cacheFlags struct {
	dir string
	off bool
}

func (c *cacheFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dir, "cache-dir", "", "compilation cache directory (default: $"+mcusim.CacheEnv+", else the user cache directory + /mcusim); one subdirectory per mcusim build")
	fs.BoolVar(&c.off, "no-cache", false, "compile in memory only (also "+mcusim.CacheEnv+"=off)")
}

// resolve returns the cache directory to use, "" for none. A directory the
// user named must work; the default one is skipped silently when the user
// cache directory is unknown or not writable (the run then compiles in memory).
func (c *cacheFlags) resolve() (string, error) {
	if c.off {
		if c.dir != "" {
			return "", usagef("give either --cache-dir or --no-cache, not both")
		}
		return "", nil
	}
	base := c.dir
	if base == "" {
		base = os.Getenv(mcusim.CacheEnv)
		if base == "off" {
			return "", nil
		}
	}
	dir, err := mcusim.CompilationCacheDir(base)
	if err != nil && base == "" {
		return "", nil
	}
	return dir, err
}
