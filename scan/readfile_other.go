//go:build !unix

package scan

// noFollow has no equivalent here; readRegularFile's checks after the
// open still refuse what is not a regular file.
const noFollow = 0
