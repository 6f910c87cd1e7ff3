package io.tfjsrun.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.CreateStruct;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.connector.catalog.CatalogManager;
import org.apache.spark.sql.types.StructType;
import scala.Function1;
import scala.Some;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Lets a function registered as {@code f(model, struct)} take its columns as arguments of their own:
 * {@code f('wine', alcohol, malic_acid, ...)} is {@code f('wine', struct(alcohol, malic_acid, ...))}, the struct's
 * fields named after the columns. A Java UDF has one fixed arity per name, so this rewrites the call in the
 * session's function registry, which is Spark's internal (catalyst) API rather than its public one: kept here,
 * behind one method, so that a Spark upgrade that changes it touches this file only.
 */
final class StructArguments {
  private StructArguments() {}

  /** Replaces {@code name}, registered in {@code spark} as {@code name(model, struct)}, with its varargs form. */
  static void allow(SparkSession spark, String name) {
    if (!(spark instanceof org.apache.spark.sql.classic.SparkSession classic)) {
      throw new IllegalArgumentException("tfjs-run: the SQL functions need a classic SparkSession, not "
          + spark.getClass().getName());
    }
    FunctionRegistry registry = classic.sessionState().functionRegistry();
    // A temporary function's identifier, as createOrReplaceTempFunction qualifies it.
    FunctionIdentifier id = new FunctionIdentifier(name, Some.apply(CatalogManager.SESSION_NAMESPACE()),
        Some.apply(CatalogManager.SYSTEM_CATALOG_NAME()));
    Function1<Seq<Expression>, Expression> withStruct = registry.lookupFunctionBuilder(id).get();  // ScalaUDF's
    Function1<Seq<Expression>, Expression> withColumns = args -> withStruct.apply(asStruct(args));
    registry.createOrReplaceTempFunction(name, withColumns, "java_udf");
  }

  /** (model, c1, c2, ...) as (model, struct(c1, c2, ...)); (model, a struct), and fewer arguments, as they are. */
  private static Seq<Expression> asStruct(Seq<Expression> args) {
    if (args.size() < 2) return args;  // Spark's arity error
    Expression second = args.apply(1);
    if (args.size() == 2 && second.resolved() && second.dataType() instanceof StructType) return args;
    List<Expression> columns = new ArrayList<>();
    for (int i = 1; i < args.size(); i++) columns.add(args.apply(i));
    Expression struct = CreateStruct.apply(CollectionConverters.asScala(columns).toList());
    return CollectionConverters.asScala(List.of(args.apply(0), struct)).toList();
  }
}
