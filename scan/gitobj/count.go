package gitobj

import "github.com/go-git/go-git/v5/plumbing"

// Count is how many objects ForEach visits for a Visitor whose Want is
// want, for a progress total: the packed objects of the wanted types, each
// once, plus every loose object and every delta on a base outside its pack
// (their types are known only once they are read, so the count may exceed
// the visits by those of other types). It reads nothing: Open has read
// every header.
func (db *DB) Count(want func(plumbing.ObjectType) bool) int64 {
	n := int64(len(db.loose))
	for _, p := range db.packs {
		dup := p.dup
		for i, t := range p.typ {
			if (dup == nil || !dup[i]) && (t == 0 || want(t)) {
				n++
			}
		}
	}
	return n
}
