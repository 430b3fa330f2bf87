package registry

// Failback is the body of a scheme's Open: the registry a constructor
// returned, wrapped in NewFailback, or its error. Use it as
// Failback(New(url)).
func Failback[R Registry](r R, err error) (Registry, error) {
	if err != nil {
		return nil, err
	}
	return NewFailback(r), nil
}
