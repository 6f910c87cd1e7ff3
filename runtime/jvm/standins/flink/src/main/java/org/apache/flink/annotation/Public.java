package org.apache.flink.annotation;

import java.lang.annotation.Documented;

/** Stand-in for Flink's API-stability marker (compile-only). */
@Documented
public @interface Public {}
